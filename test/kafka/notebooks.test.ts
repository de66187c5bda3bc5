/** The broker matrix: test/notebooks.test.ts, the same code, against a real single-node Apache Kafka. */
import { onRealKafka } from '../support/broker';

onRealKafka(() => require('../notebooks.test'));
