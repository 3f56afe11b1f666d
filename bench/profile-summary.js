// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by where the code lives.
//
//   node bench/profile-summary.js bench/results/webhook.cpuprofile [top=25]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bench/profile-summary.js <file.cpuprofile> [top]\n');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8'));

// Self time per node: each sample names the node that was on top of the stack; timeDeltas[i] is the time before it.
const selfMicros = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const total = [...selfMicros.values()].reduce((a, b) => a + b, 0);

function area(url, name) {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)' || name === '(program)') return name;
  if (!url) return 'native/V8 (TLS, syscalls, builtins)';
  if (url.includes('/dist/')) return `webhook ${url.split('/dist/')[1].split('/')[0]}/`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  return url;
}

const byFunction = new Map();
const byArea = new Map();
for (const node of profile.nodes) {
  const micros = selfMicros.get(node.id) ?? 0;
  if (micros === 0) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName || '(anonymous)';
  const where = url ? `${url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}` : '';
  const key = `${name} ${where}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
  const group = area(url, name);
  byArea.set(group, (byArea.get(group) ?? 0) + micros);
}

// Percentages are of the busy time: everything but (idle), the event loop waiting for work.
const idle = [...byArea].filter(([name]) => name === '(idle)').reduce((sum, [, micros]) => sum + micros, 0);
const busy = total - idle;
byArea.delete('(idle)');
byFunction.delete('(idle) ');
const pct = (micros) => `${((micros / busy) * 100).toFixed(1).padStart(5)}%`;
const lines = [`profile ${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (percentages are of busy time)`, '', 'self time by area:'];
for (const [name, micros] of [...byArea].sort((a, b) => b[1] - a[1]).slice(0, 20)) lines.push(`  ${pct(micros)}  ${name}`);
lines.push('', `top ${top} functions by self time:`);
for (const [name, micros] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(micros)}  ${name}`);
process.stdout.write(`${lines.join('\n')}\n`);
