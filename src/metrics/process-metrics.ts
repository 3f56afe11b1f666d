import { familyText, metricFamily, type MetricFamily, type MetricType } from './prometheus-text.js';

/**
 * Process and Node runtime metrics, read when /metrics is scraped and at no other time, under the standard unprefixed
 * names and HELP texts of Prometheus client libraries (prom-client's `collectDefaultMetrics`), so stock dashboards
 * and alerts find them. Hand-written instead of collectDefaultMetrics, whose GC PerformanceObserver ran on every
 * scavenge and whose event-loop monitor kept a 10 ms timer waking the process (bench/README.md, "Findings").
 */
export class ProcessMetrics {
  private readonly families: Record<
    'cpuUser' | 'cpuSystem' | 'cpu' | 'startTime' | 'resident' | 'heapTotal' | 'heapUsed' | 'external' | 'version',
    MetricFamily
  >;
  private readonly versionLabels: readonly (readonly [string, string])[];
  /** Fixed for the life of the process; performance.timeOrigin is when it started, in Unix milliseconds. */
  private readonly startTimeSeconds = Math.round(performance.timeOrigin) / 1000;

  constructor() {
    const family = (name: string, type: MetricType, help: string): MetricFamily => metricFamily(name, type, help);
    this.families = {
      cpuUser: family('process_cpu_user_seconds_total', 'counter', 'Total user CPU time spent in seconds.'),
      cpuSystem: family('process_cpu_system_seconds_total', 'counter', 'Total system CPU time spent in seconds.'),
      cpu: family('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.'),
      startTime: family('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.'),
      resident: family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.'),
      heapTotal: family('nodejs_heap_size_total_bytes', 'gauge', 'Process heap size from Node.js in bytes.'),
      heapUsed: family('nodejs_heap_size_used_bytes', 'gauge', 'Process heap size used from Node.js in bytes.'),
      external: family('nodejs_external_memory_bytes', 'gauge', 'Node.js external memory size in bytes.'),
      version: family('nodejs_version_info', 'gauge', 'Node.js version info.'),
    };
    const [major = '', minor = '', patch = ''] = process.versions.node.split('.');
    this.versionLabels = [['version', process.version], ['major', major], ['minor', minor], ['patch', patch]];
  }

  /** The exposition text of every process metric, from one reading of CPU and memory. */
  render(): string {
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    const { families } = this;
    return familyText(families.cpuUser, [{ value: cpu.user / 1e6 }])
      + familyText(families.cpuSystem, [{ value: cpu.system / 1e6 }])
      + familyText(families.cpu, [{ value: (cpu.user + cpu.system) / 1e6 }])
      + familyText(families.startTime, [{ value: this.startTimeSeconds }])
      + familyText(families.resident, [{ value: memory.rss }])
      + familyText(families.heapTotal, [{ value: memory.heapTotal }])
      + familyText(families.heapUsed, [{ value: memory.heapUsed }])
      + familyText(families.external, [{ value: memory.external }])
      + familyText(families.version, [{ labels: this.versionLabels, value: 1 }]);
  }
}
