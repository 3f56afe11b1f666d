// A full garbage collection in another Node process, asked for through its inspector (`--inspect=host:port`):
// the Chrome DevTools protocol's HeapProfiler.collectGarbage, over the WebSocket the process serves.
// https://chromedevtools.github.io/devtools-protocol/v8/HeapProfiler/#method-collectGarbage

/** Resolves once the process inspected on 127.0.0.1:`port` has run a full collection. */
export async function collectGarbage(port) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on port ${port}`);
  const socket = new WebSocket(url);
  try {
    await new Promise((resolve, reject) => {
      socket.addEventListener('open', resolve, { once: true });
      socket.addEventListener('error', () => reject(new Error(`inspector on port ${port}: connection failed`)), { once: true });
    });
    await new Promise((resolve, reject) => {
      socket.addEventListener('message', (event) => {
        const message = JSON.parse(String(event.data));
        if (message.id !== 1) return;
        if (message.error) reject(new Error(`HeapProfiler.collectGarbage: ${message.error.message}`));
        else resolve();
      });
      socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
    });
  } finally {
    socket.close();
  }
}
