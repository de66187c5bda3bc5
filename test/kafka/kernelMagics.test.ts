/** The broker matrix: test/kernelMagics.test.ts, the same code, against a real single-node Apache Kafka. */
import { onRealKafka } from '../support/broker';

onRealKafka(() => require('../kernelMagics.test'));
