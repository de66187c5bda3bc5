/** The broker matrix: test/windowLanes.test.ts, the same code, against a real single-node Apache Kafka. */
import { onRealKafka } from '../support/broker';

onRealKafka(() => require('../windowLanes.test'));
