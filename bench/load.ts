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
  if (options.durationSeconds === undefined && options.amount === undefined) throw new Error('a load run needs a duration or an amount');
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    ...(options.amount === undefined ? { duration: options.durationSeconds } : { amount: options.amount }),
    method: options.method,
    body: options.body,
    headers: options.headers,
    requests: options.requests,
    timeout: 10,
  });
  return {
    requestsPerSecond: result.requests.average,
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
