/** The broker matrix: test/demoData.test.ts, the same code, against a real single-node Apache Kafka. */
import { onRealKafka } from '../support/broker';

onRealKafka(() => require('../demoData.test'));
