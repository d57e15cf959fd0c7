/**
 * A local Replicate API speaking its wire protocol, for the `replicate` provider's tests (through
 * the official SDK pointed at `baseUrl`): POST /v1/models/{owner}/{name}/predictions and POST
 * /v1/predictions (a version), GET /v1/predictions/{id}, POST /v1/predictions/{id}/cancel, bearer
 * auth, `Prefer: wait`, predictions going starting → processing → succeeded/failed/canceled with
 * their output and metrics, a stream URL serving Replicate's server-sent events (`output`, `error`,
 * `done`), and problem-document errors (401, 404, 422, 429 with Retry-After, 5xx).
 *
 * What a model's predictions do is scripted per model (`model`), and failures per request
 * (`failNext`). Where the real API waits (a held `Prefer: wait`, a prediction that runs until it is
 * cancelled), the fake waits for the test instead of a clock: `release`, `cancelled`.
 */

export type PredictionScript = {
  /** How the prediction ends (default: succeeded). */
  status?: "succeeded" | "failed";
  /** Its output once done: text pieces for a language model, file URLs for an image model. */
  output?: unknown;
  /** The error of a failed prediction. */
  error?: string;
  /** Its metrics once done (a language model's `input_token_count`, `output_token_count`). */
  metrics?: Record<string, number>;
  /** Polls (GETs) answered `processing` before it is done; with 0, a create with `Prefer: wait` answers it done. */
  polls?: number;
  /** Runs until cancelled: every poll answers `processing`, the stream sends its pieces and waits. */
  hold?: boolean;
  /** A create with `Prefer: wait` is answered only once the test calls `release()` (a slow wait). */
  holdCreate?: boolean;
  /** Has a stream URL (`urls.stream`). */
  stream?: boolean;
  /** The stream ends after its pieces without `done` (a cut stream). */
  cutStream?: boolean;
  /** The input is refused (422) with this detail. */
  invalid?: string;
};

type Failure = { route: "create" | "get" | "cancel" | "any"; status: number; retryAfter?: string; times: number };

type Stored = { prediction: Record<string, unknown>; script: PredictionScript; polls: number; cancelled: PromiseWithResolvers<void> };

export type RecordedRequest = { method: string; path: string; authorization: string | null; prefer: string | null; body: unknown };

const problems: Record<number, string> = {
  401: "Unauthenticated",
  404: "Not found",
  422: "Input validation failed",
  429: "Request was throttled",
  500: "Internal server error",
  503: "Service unavailable",
};

const problem = (status: number, detail: string, headers: Record<string, string> = {}) =>
  Response.json({ title: problems[status] ?? "Error", detail, status }, { status, headers: { "content-type": "application/problem+json", ...headers } });

export async function startFakeReplicate(options: { token?: string } = {}) {
  const token = options.token ?? "r8_test_token_0123456789";
  const scripts = new Map<string, PredictionScript>();
  const predictions = new Map<string, Stored>();
  const failures: Failure[] = [];
  const requests: RecordedRequest[] = [];
  const heldCreates: (() => void)[] = [];
  let counter = 0;

  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", idleTimeout: 0, fetch: (request) => answer(request) });
  const origin = `http://127.0.0.1:${server.port}`;

  function finish(stored: Stored) {
    const { script, prediction } = stored;
    if (prediction.status === "canceled") return;
    const failed = script.status === "failed";
    Object.assign(prediction, {
      status: failed ? "failed" : "succeeded",
      output: failed ? null : (script.output ?? null),
      error: failed ? (script.error ?? "the model failed") : null,
      metrics: { predict_time: 0.5, total_time: 0.6, ...script.metrics },
      completed_at: new Date().toISOString(),
    });
  }

  function scriptedFailure(route: Failure["route"]): Response | undefined {
    const failure = failures.find((candidate) => candidate.route === route || candidate.route === "any");
    if (!failure) return undefined;
    failure.times -= 1;
    if (failure.times <= 0) failures.splice(failures.indexOf(failure), 1);
    const headers: Record<string, string> = failure.retryAfter ? { "retry-after": failure.retryAfter } : {};
    return problem(failure.status, failure.status === 429 ? "Request was throttled. Expected available in 1 second." : "Something went wrong.", headers);
  }

  async function create(request: Request, model: string, body: { input?: unknown; version?: unknown }) {
    const script = scripts.get(model);
    if (!script) return problem(404, "The requested resource could not be found.");
    if (script.invalid) return problem(422, script.invalid);
    if (typeof body.input !== "object" || body.input === null) return problem(422, "input is required");
    counter += 1;
    const id = `fake${String(counter).padStart(8, "0")}`;
    const prediction: Record<string, unknown> = {
      id,
      model: model.includes("/") ? model : "owner/versioned",
      version: typeof body.version === "string" ? body.version : "hidden",
      input: body.input,
      logs: "",
      output: null,
      data_removed: false,
      error: null,
      status: "starting",
      created_at: new Date().toISOString(),
      urls: {
        get: `${origin}/v1/predictions/${id}`,
        cancel: `${origin}/v1/predictions/${id}/cancel`,
        web: `https://replicate.com/p/${id}`,
        ...(script.stream ? { stream: `${origin}/v1/streams/${id}` } : {}),
      },
    };
    const stored: Stored = { prediction, script, polls: 0, cancelled: Promise.withResolvers<void>() };
    predictions.set(id, stored);
    const wait = request.headers.get("prefer")?.startsWith("wait");
    if (wait && script.holdCreate) await new Promise<void>((resolve) => heldCreates.push(resolve));
    if (wait && !script.hold && !script.stream && (script.polls ?? 0) === 0) finish(stored);
    return Response.json(prediction, { status: 201 });
  }

  function poll(stored: Stored) {
    const { prediction, script } = stored;
    if (prediction.status === "starting" || prediction.status === "processing") {
      stored.polls += 1;
      if (!script.hold && !script.stream && stored.polls > (script.polls ?? 0)) finish(stored);
      else prediction.status = "processing";
    }
    return Response.json(prediction);
  }

  function cancel(stored: Stored) {
    const { prediction } = stored;
    if (prediction.status === "starting" || prediction.status === "processing") {
      Object.assign(prediction, { status: "canceled", completed_at: new Date().toISOString() });
    }
    stored.cancelled.resolve();
    return Response.json(prediction);
  }

  /** Replicate's server-sent events for a streaming prediction: an `output` event per piece, then `done` (or `error`). */
  function stream(stored: Stored, request: Request) {
    const { script } = stored;
    const pieces = Array.isArray(script.output) ? (script.output as string[]) : [String(script.output ?? "")];
    const encoder = new TextEncoder();
    const event = (name: string, data: string, id?: number) =>
      encoder.encode(
        `event: ${name}\n${id === undefined ? "" : `id: ${id}\n`}${data
          .split("\n")
          .map((line) => `data: ${line}\n`)
          .join("")}\n`,
      );
    return new Response(
      new ReadableStream({
        async start(controller) {
          stored.prediction.status = "processing";
          pieces.forEach((piece, index) => {
            controller.enqueue(event("output", piece, index));
          });
          if (script.hold) await Promise.race([stored.cancelled.promise, new Promise((resolve) => request.signal.addEventListener("abort", resolve))]);
          if (script.cutStream || request.signal.aborted) return controller.close();
          finish(stored);
          if (stored.prediction.status === "failed") controller.enqueue(event("error", JSON.stringify({ detail: stored.prediction.error })));
          const reason = stored.prediction.status === "succeeded" ? {} : { reason: stored.prediction.status === "failed" ? "error" : "canceled" };
          controller.enqueue(event("done", JSON.stringify(reason)));
          controller.close();
        },
      }),
      { headers: { "content-type": "text/event-stream", "cache-control": "no-store" } },
    );
  }

  async function answer(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const text = request.method === "POST" ? await request.text() : "";
    let body: Record<string, unknown> = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      return problem(400, "The request body is not valid JSON.");
    }
    requests.push({
      method: request.method,
      path: url.pathname,
      authorization: request.headers.get("authorization"),
      prefer: request.headers.get("prefer"),
      body,
    });

    const streamed = /^\/v1\/streams\/(\w+)$/.exec(url.pathname);
    if (streamed && request.method === "GET") {
      const stored = predictions.get(streamed[1] as string);
      return stored ? stream(stored, request) : problem(404, "The requested resource could not be found.");
    }
    if (request.headers.get("authorization") !== `Bearer ${token}`) return problem(401, "You did not pass a valid authentication token");

    const byModel = /^\/v1\/models\/([\w.-]+)\/([\w.-]+)\/predictions$/.exec(url.pathname);
    if (request.method === "POST" && (byModel || url.pathname === "/v1/predictions")) {
      const failed = scriptedFailure("create");
      if (failed) return failed;
      const model = byModel ? `${byModel[1]}/${byModel[2]}` : String(body.version);
      return create(request, model, body);
    }
    const one = /^\/v1\/predictions\/(\w+)(\/cancel)?$/.exec(url.pathname);
    const stored = one ? predictions.get(one[1] as string) : undefined;
    if (one && request.method === "GET" && !one[2]) return scriptedFailure("get") ?? (stored ? poll(stored) : problem(404, "Prediction not found."));
    if (one && request.method === "POST" && one[2]) return scriptedFailure("cancel") ?? (stored ? cancel(stored) : problem(404, "Prediction not found."));
    return problem(404, "The requested resource could not be found.");
  }

  return {
    token,
    /** The API's base URL, with the version path (REPLICATE_BASE_URL). */
    baseUrl: `${origin}/v1`,
    /** Scripts what predictions of a model (`owner/name`) or version (its id) do. */
    model(name: string, script: PredictionScript) {
      scripts.set(name, script);
    },
    /** The next `times` requests to a route answer `status` (a problem document; Retry-After when given). */
    failNext(failure: Omit<Failure, "times"> & { times?: number }) {
      failures.push({ times: 1, ...failure });
    },
    /** Answers the creates held by `holdCreate`. */
    release() {
      for (const resolve of heldCreates.splice(0)) resolve();
    },
    /** Resolves once the prediction has been asked to cancel. */
    cancelled: (id: string) => predictions.get(id)?.cancelled.promise ?? Promise.reject(new Error(`no prediction ${id}`)),
    prediction: (id: string) => predictions.get(id)?.prediction,
    /** Every request received, in order. */
    requests,
    /** The predictions created, in order. */
    predictionIds: () => [...predictions.keys()],
    stop: () => server.stop(true),
  };
}

export type FakeReplicate = Awaited<ReturnType<typeof startFakeReplicate>>;
