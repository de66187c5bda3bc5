/** The broker matrix: test/kernel.test.ts, the same code, against a real single-node Apache Kafka. */
import { onRealKafka } from '../support/broker';

onRealKafka(() => require('../kernel.test'));
