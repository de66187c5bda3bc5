/**
 * Seeded sensor readings for demos, tests and benchmarks: N sensors with a baseline, a slow cycle and noise;
 * labelled injected anomalies (a spike, a drift, a stuck sensor); and, as real feeds have, a small share of
 * out-of-order records and of malformed ones. The same seed gives the same stream, and `stats` counts exactly
 * what was emitted, so a consumer's counts can be checked against it.
 */
import { StreamlabError } from '../errors';
import { SeededRandom } from './random';

export type AnomalyKind = 'spike' | 'drift' | 'stuck';
export const ANOMALY_KINDS: readonly AnomalyKind[] = ['spike', 'drift', 'stuck'];

/** The JSON value of a well-formed record. */
export interface SensorReading {
  sensor: string;
  /** Event time, epoch ms. Out-of-order records carry a time earlier than records sent before them. */
  time: number;
  value: number;
  /** The injected anomaly this reading belongs to, or null for a normal reading. */
  anomaly: AnomalyKind | null;
  /** Position in the generated stream (malformed records take a number too). */
  seq: number;
}

/** A record ready for a sink: the Kafka timestamp is when it was "sent", which for late records is after `time`. */
export interface GeneratedRaw {
  key: string | null;
  value: string;
  timestamp: number;
}

export interface SensorGeneratorOptions {
  /** Default 8. */
  sensors?: number;
  /** Records per second of event time across all sensors. Default 1000. */
  ratePerSecond?: number;
  /** Default 1. */
  seed?: number;
  /** Event time of the first record, epoch ms. Default now. */
  startTime?: number;
  /** Share of readings that start an anomaly (drifts and stuck runs then last 30-150 readings). Default 0.0005. */
  anomalyShare?: number;
  /** Share of readings whose event time lags their send time by up to maxDelayMs. Default 0.01. */
  outOfOrderShare?: number;
  /** Default 5000. */
  maxDelayMs?: number;
  /** Share of records that are malformed: half broken JSON, half without a time field. Default 0.002. */
  malformedShare?: number;
}

export interface GeneratorStats {
  /** Every record emitted, malformed ones included. */
  records: number;
  readings: number;
  undecodable: number;
  missingTime: number;
  outOfOrder: number;
  /** Readings labelled with each anomaly kind. */
  anomalies: Record<AnomalyKind, number>;
}

interface SensorState {
  name: string;
  baseline: number;
  phase: number;
  last: number;
  anomaly?: { kind: AnomalyKind; left: number; step: number; offset: number; stuckAt: number };
}

const CYCLE_MS = 10 * 60_000;
const NOISE = 0.5;

export class SensorGenerator {
  readonly stats: GeneratorStats = {
    records: 0,
    readings: 0,
    undecodable: 0,
    missingTime: 0,
    outOfOrder: 0,
    anomalies: { spike: 0, drift: 0, stuck: 0 },
  };
  private readonly random: SeededRandom;
  private readonly sensors: SensorState[];
  private readonly intervalMs: number;
  private readonly startTime: number;
  private readonly options: Required<Omit<SensorGeneratorOptions, 'sensors' | 'ratePerSecond' | 'seed' | 'startTime'>>;

  constructor(options: SensorGeneratorOptions = {}) {
    const sensors = options.sensors ?? 8;
    if (!Number.isInteger(sensors) || sensors < 1 || sensors > 100_000) {
      throw new StreamlabError(`sensors must be an integer from 1 to 100000, got ${sensors}`);
    }
    const rate = options.ratePerSecond ?? 1000;
    if (!(rate > 0)) throw new StreamlabError(`ratePerSecond must be positive, got ${rate}`);
    // An unbounded send rate still needs event times that advance: one record per millisecond.
    this.intervalMs = Number.isFinite(rate) ? 1000 / rate : 1;
    this.startTime = options.startTime ?? Date.now();
    this.options = {
      anomalyShare: share(options.anomalyShare, 0.0005, 'anomalyShare'),
      outOfOrderShare: share(options.outOfOrderShare, 0.01, 'outOfOrderShare'),
      malformedShare: share(options.malformedShare, 0.002, 'malformedShare'),
      maxDelayMs: options.maxDelayMs ?? 5000,
    };
    this.random = new SeededRandom(options.seed ?? 1);
    const width = String(sensors - 1).length;
    this.sensors = Array.from({ length: sensors }, (_, k) => ({
      name: `sensor-${String(k).padStart(width, '0')}`,
      baseline: 20 + 3 * k,
      phase: this.random.next() * 2 * Math.PI,
      last: 20 + 3 * k,
    }));
  }

  get sensorNames(): string[] {
    return this.sensors.map((s) => s.name);
  }

  /** The next record. */
  next(): GeneratedRaw {
    const seq = this.stats.records++;
    const sendTime = Math.round(this.startTime + seq * this.intervalMs);
    const sensor = this.sensors[seq % this.sensors.length]!;
    const r = this.random;

    if (r.next() < this.options.malformedShare) {
      if (r.next() < 0.5) {
        this.stats.undecodable++;
        const whole = JSON.stringify({ sensor: sensor.name, time: sendTime, value: sensor.last, seq });
        return { key: sensor.name, value: whole.slice(0, r.int(5, whole.length - 2)), timestamp: sendTime };
      }
      this.stats.missingTime++;
      return { key: sensor.name, value: JSON.stringify({ sensor: sensor.name, value: sensor.last, anomaly: null, seq }), timestamp: sendTime };
    }

    let time = sendTime;
    if (r.next() < this.options.outOfOrderShare) {
      time -= r.int(1, this.options.maxDelayMs);
      this.stats.outOfOrder++;
    }
    const reading: SensorReading = { sensor: sensor.name, time, ...this.valueAt(sensor, time), seq };
    this.stats.readings++;
    if (reading.anomaly) this.stats.anomalies[reading.anomaly]++;
    return { key: sensor.name, value: JSON.stringify(reading), timestamp: sendTime };
  }

  private valueAt(sensor: SensorState, time: number): { value: number; anomaly: AnomalyKind | null } {
    const r = this.random;
    const normal = sensor.baseline + 2 * Math.sin((2 * Math.PI * time) / CYCLE_MS + sensor.phase) + NOISE * r.normal();
    if (!sensor.anomaly && r.next() < this.options.anomalyShare) {
      const kind = ANOMALY_KINDS[r.int(0, 2)]!;
      const left = kind === 'spike' ? 1 : r.int(30, 150);
      sensor.anomaly = { kind, left, step: (r.int(5, 10) / left) * (r.next() < 0.5 ? -1 : 1), offset: 0, stuckAt: sensor.last };
    }
    const a = sensor.anomaly;
    if (!a) return { value: (sensor.last = round3(normal)), anomaly: null };
    a.left--;
    if (a.left <= 0) sensor.anomaly = undefined;
    let value: number;
    if (a.kind === 'spike') value = normal + (r.next() < 0.5 ? -1 : 1) * r.int(12, 20) * NOISE;
    else if (a.kind === 'drift') value = normal + (a.offset += a.step);
    else value = a.stuckAt;
    return { value: (sensor.last = round3(value)), anomaly: a.kind };
  }
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

function share(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!(value >= 0 && value <= 1)) throw new StreamlabError(`${name} must be between 0 and 1, got ${value}`);
  return value;
}
