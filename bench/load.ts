import autocannon from 'autocannon';

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Requests answered, successes and failures together. */
  total: number;
  /** Answers outside 2xx plus socket errors and timeouts: a run with failures is not a fair figure. */
  failures: number;
}

export interface LoadOptions {
  url: string;
  connections: number;
  /** Bounded by time... */
  durationSeconds?: number;
  /** ...or by count (autocannon stops after this many requests). */
  amount?: number;
  method?: 'GET' | 'POST';
  body?: string;
  headers?: Record<string, string>;
  /** A sequence each connection repeats (autocannon `requests`), e.g. create then delete. */
  requests?: autocannon.Request[];
}

/** One bounded autocannon run (by duration or count; autocannon stops on its own). */
export async function load(options: LoadOptions): Promise<LoadResult> {
  if (options.durationSeconds === undefined && options.amount === undefined)
    throw new Error('a load run needs a duration or an amount');
  // autocannon notices that an amount is reached only at its next one-second sample, so a run
  // bounded by count is timed here, from the start to the last answer.
  const started = performance.now();
  let lastAnswer = started;
  const result = await autocannon({
    setupClient: (client) => client.on('response', () => (lastAnswer = performance.now())),
    url: options.url,
    connections: options.connections,
    ...(options.amount === undefined ? { duration: options.durationSeconds } : { amount: options.amount }),
    ...(options.method ? { method: options.method } : {}),
    ...(options.body === undefined ? {} : { body: options.body }),
    headers: options.headers,
    requests: options.requests,
    timeout: 10,
  });
  return {
    requestsPerSecond:
      options.amount === undefined ? result.requests.average : result.requests.total / ((lastAnswer - started) / 1000),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    total: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

/** A short run to let the JIT and connection pools settle; its figures are thrown away. */
export async function warmUp(options: Omit<LoadOptions, 'durationSeconds'>, seconds = 2): Promise<void> {
  await load({ ...options, durationSeconds: seconds });
}

/**
 * Runs every target in turn, round after round, so a noisy neighbour (the machines are shared)
 * hits all of them alike. Returns each target's round results in order.
 */
export async function interleaved<K extends string>(
  targets: Record<K, Omit<LoadOptions, 'durationSeconds' | 'amount'>>,
  rounds: number,
  secondsPerRound: number,
): Promise<Record<K, LoadResult[]>> {
  const names = Object.keys(targets) as K[];
  const results = Object.fromEntries(names.map((name) => [name, [] as LoadResult[]])) as Record<K, LoadResult[]>;
  for (const name of names) await warmUp(targets[name], 1);
  for (let round = 0; round < rounds; round++) {
    for (const name of names) results[name].push(await load({ ...targets[name], durationSeconds: secondsPerRound }));
  }
  return results;
}

/** One figure from several rounds: medians of rate and latencies, sums of counts. */
export function summarize(rounds: LoadResult[]): LoadResult {
  return {
    requestsPerSecond: median(rounds.map((r) => r.requestsPerSecond)),
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
    total: rounds.reduce((sum, r) => sum + r.total, 0),
    failures: rounds.reduce((sum, r) => sum + r.failures, 0),
  };
}

/** Median of the per-round ratios a/b: each ratio compares runs made seconds apart. */
export function medianRatio(a: LoadResult[], b: LoadResult[]): number {
  return median(a.map((r, i) => r.requestsPerSecond / b[i].requestsPerSecond));
}

export function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
