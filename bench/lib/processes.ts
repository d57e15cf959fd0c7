/** Servers under test run as child processes; this starts them, waits until they answer, and stops them. */
import type { Subprocess } from "bun";

export type Child = {
  name: string;
  url: string;
  /** The process id (to read its memory from /proc). */
  pid: number;
  /** The last lines the process wrote (stdout and stderr), for error reports. */
  output: () => string;
  /** Calls `callback` if the process ends without `stop()` having been called. */
  onUnexpectedExit: (callback: (code: number) => void) => void;
  stop: () => Promise<void>;
};

// Whatever way this process ends, no server it started outlives it.
const live = new Set<Subprocess>();
process.on("exit", () => {
  for (const proc of live) proc.kill("SIGKILL");
});

/** A port nothing listens on right now (the OS picks it; the child binds it a moment later). */
export function freePort(): number {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = probe.port as number;
  probe.stop(true);
  return port;
}

function capture(stream: ReadableStream<Uint8Array>, sink: { text: string }) {
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      sink.text = (sink.text + decoder.decode(chunk, { stream: true })).slice(-16_000);
    }
  })();
}

/** Spawns `cmd`, then polls `readyPath` until it answers 200 (or the process dies, or `timeoutMs` passes). */
export async function startProcess(options: {
  name: string;
  cmd: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  port: number;
  readyPath: string;
  /** Sent with the readiness request (a server that answers nothing without credentials). */
  readyHeaders?: Record<string, string>;
  timeoutMs?: number;
}): Promise<Child> {
  const sink = { text: "" };
  const proc: Subprocess<"ignore", "pipe", "pipe"> = Bun.spawn(options.cmd, {
    cwd: options.cwd,
    env: options.env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  live.add(proc);
  void proc.exited.then(() => live.delete(proc));
  capture(proc.stdout, sink);
  capture(proc.stderr, sink);
  const url = `http://127.0.0.1:${options.port}`;
  let stopping = false;
  const child: Child = {
    name: options.name,
    url,
    pid: proc.pid,
    output: () => sink.text,
    onUnexpectedExit: (callback) => {
      void proc.exited.then((code) => {
        if (!stopping) callback(code);
      });
    },
    stop: async () => {
      stopping = true;
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGTERM");
      const done = await Promise.race([proc.exited.then(() => true), Bun.sleep(5000).then(() => false)]);
      if (!done) {
        proc.kill("SIGKILL");
        await proc.exited;
      }
    },
  };
  let died = false;
  void proc.exited.then(() => {
    died = true;
  });
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (died) throw new Error(`${options.name} exited during startup (code ${proc.exitCode}):\n${sink.text}`);
    try {
      const response = await fetch(`${url}${options.readyPath}`, { headers: options.readyHeaders });
      await response.arrayBuffer();
      if (response.status === 200) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await child.stop();
      throw new Error(`${options.name} did not become ready within ${options.timeoutMs ?? 30_000} ms:\n${sink.text}`);
    }
    await Bun.sleep(100);
  }
}

/** CPU time (user + system) a process has used so far, in ms (from /proc; clock ticks of 10 ms); 0 for one that is gone. */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await Bun.file(`/proc/${pid}/stat`)
    .text()
    .catch(() => "");
  const fields = stat.split(") ")[1]?.split(" ") ?? [];
  return fields.length > 12 ? (Number(fields[11]) + Number(fields[12])) * 10 : 0;
}
