// The writer's life, in named states with transitions as methods, and its generations: each pass over the
// queue from the last acknowledged record to one target. Both throw on a transition that should not happen,
// so that a mistake in the send loop fails loudly instead of sending lines twice or losing an ack.
import type { WriterQueue, WriterStateName } from './types';

/** Why requests do not go through: the remote may recover ('retryable'), or the user must act ('config'). */
export type FailureKind = 'retryable' | 'config';

type Phase = 'created' | 'running' | 'stopped';

export class IllegalTransition extends Error {
  constructor(transition: string, from: string) {
    super(`writer: ${transition} is not allowed when ${from}`);
    this.name = 'IllegalTransition';
  }
}

/**
 * Created, running, stopped; within that paused or not, failing or not, with requests in flight and refused
 * lines kept. The state the writer reports is named here, and only here.
 */
export class WriterLifecycle {
  private phase: Phase = 'created';
  private pausedFlag = false;
  private failure: FailureKind | null = null;
  private inflight = 0;
  private held = 0;
  /** Bumped by retarget(): deliveries of an older generation stop before their next attempt. */
  private currentGeneration = 0;

  get canStart(): boolean {
    return this.phase === 'created';
  }
  get stopped(): boolean {
    return this.phase === 'stopped';
  }
  get paused(): boolean {
    return this.pausedFlag;
  }
  get failureKind(): FailureKind | null {
    return this.failure;
  }
  get linesHeld(): number {
    return this.held;
  }
  get generation(): number {
    return this.currentGeneration;
  }

  start(): void {
    if (this.phase !== 'created') throw new IllegalTransition('start', this.phase);
    this.phase = 'running';
  }

  /** From created (never started) or running; what is in flight may still finish. */
  stop(): void {
    if (this.phase === 'stopped') throw new IllegalTransition('stop', this.phase);
    this.phase = 'stopped';
  }

  /** Pausing is allowed in any phase (a stream may be paused before it starts); it does not nest. */
  pause(): void {
    if (this.pausedFlag) throw new IllegalTransition('pause', 'paused');
    this.pausedFlag = true;
  }

  resume(): void {
    if (!this.pausedFlag) throw new IllegalTransition('resume', 'not paused');
    this.pausedFlag = false;
  }

  /** A new target: a new generation, and the failures of the old target are forgotten. */
  retarget(): number {
    this.failure = null;
    return ++this.currentGeneration;
  }

  /** Whether work of generation `gen` may go on. */
  isCurrent(gen: number): boolean {
    return this.phase !== 'stopped' && gen === this.currentGeneration;
  }

  requestStarted(): void {
    if (this.phase === 'created') throw new IllegalTransition('a request', this.phase);
    this.inflight++;
  }

  requestEnded(): void {
    if (this.inflight === 0) throw new IllegalTransition('the end of a request', 'none is in flight');
    this.inflight--;
  }

  failed(kind: FailureKind): void {
    this.failure = kind;
  }

  recovered(): void {
    this.failure = null;
  }

  /** Lines the remote refused that a delivery keeps and retries. */
  hold(lines: number): void {
    if (lines < 0) throw new IllegalTransition(`holding ${lines} lines`, this.phase);
    this.held += lines;
  }

  release(lines: number): void {
    if (lines < 0 || lines > this.held) throw new IllegalTransition(`releasing ${lines} lines`, `${this.held} are held`);
    this.held -= lines;
  }

  /** Configuration errors block until the user acts; kept lines block until they are accepted or purged. */
  blockedBy(): 'config' | 'data' | null {
    return this.failure === 'config' ? 'config' : this.held > 0 ? 'data' : null;
  }

  /** In this order: a stopped or paused writer says so whatever else is true; a blocked one before a retrying one. */
  name(): WriterStateName {
    if (this.phase === 'stopped') return 'stopped';
    if (this.pausedFlag) return 'paused';
    if (this.blockedBy()) return 'blocked';
    if (this.failure === 'retryable') return 'retrying';
    if (this.inflight > 0) return 'sending';
    return 'idle';
  }
}

/**
 * One pass of the send loop over the queue. Every delivery, read ahead and ack of it is tracked, so that
 * end() resolves only when all of them have settled; once ended it takes no more work.
 */
export class Generation {
  private readonly work = new Set<Promise<void>>();
  private ended = false;
  private firstFailure: unknown = null;

  constructor(
    /** The writer's generation number when this pass began (a queue error begins a pass with the same one). */
    readonly id: number,
    /** Aborted when the writer changes target, or gives up waiting for the requests in flight at stop. */
    readonly signal: AbortSignal,
  ) {}

  /** Registers work of this pass and returns it unchanged; its failure is the caller's to handle. */
  track<T>(work: Promise<T>): Promise<T> {
    if (this.ended) throw new IllegalTransition('new work', `generation ${this.id} has ended`);
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.work.add(settled);
    void settled.then(() => this.work.delete(settled));
    return work;
  }

  /** Work tracked that has not settled yet. */
  get pending(): number {
    return this.work.size;
  }

  /** The first error that ends this pass (a delivery or an ack that failed); the records are then sent again. */
  fail(err: unknown): void {
    this.firstFailure = this.firstFailure ?? err;
  }

  get failure(): unknown {
    return this.firstFailure;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Waits until everything tracked has settled, including work tracked meanwhile (a last ack). */
  async end(): Promise<void> {
    while (this.work.size > 0) await Promise.allSettled([...this.work]);
    this.ended = true;
  }
}

/**
 * Begins the generations one after the other. The at-least-once rule lives here: the queue's read cursor goes
 * back to the last acknowledged record only once every delivery, read and ack of the previous generation has
 * settled. Otherwise a late ack could acknowledge records the new generation reads again, or a late read move
 * the cursor past records the new generation has not sent.
 */
export class Generations {
  private current: Generation | null = null;
  private beginning = false;

  constructor(private readonly queue: Pick<WriterQueue, 'rewind'>) {}

  async begin(id: number, signal: AbortSignal): Promise<Generation> {
    if (this.beginning) throw new IllegalTransition('beginning a generation', 'one is beginning');
    this.beginning = true;
    try {
      if (this.current) await this.current.end();
      this.current = new Generation(id, signal);
      this.queue.rewind();
      return this.current;
    } finally {
      this.beginning = false;
    }
  }
}
