/**
 * The V8 heap settings the local runner runs with (issue 14: peak RSS ≤ 160 MiB at the bench:local load of 100
 * devices × 1,000 messages, 32 in flight per device).
 *
 * Where the memory went with Node's defaults (peak RSS ~250 MiB; process.memoryUsage() and heap space statistics
 * sampled every 50 ms, a heap snapshot under load):
 * - live objects of the main thread: ~24 MiB in the snapshot (6.5 MiB of Buffer data, 4.3 MiB of compiled code);
 * - main thread heap: 94 MiB — new space 32 MiB (two 16 MiB semi-spaces) and old space 57 MiB, mostly garbage
 *   waiting for the next full GC; plus ~40 MiB of `arrayBuffers` (Buffers of messages already acknowledged and
 *   delivered, not yet collected);
 * - the parser's worker thread: 40 MiB of heap, 32 MiB of it new space;
 * - mapped code of the node binary (RssFile) 44 MiB; malloc, OpenSSL and thread stacks the rest (~25 MiB).
 *
 * So the settings make V8 collect sooner; nothing is dropped or delayed. `--max-semi-space-size` is read only when an
 * isolate is created (through `v8.setFlagsFromString` it has no effect on the running one), and
 * `--semi-space-growth-factor` below 2 is reset by V8 whenever an isolate is created (a worker thread): so the young
 * generation is capped through the `resourceLimits` of a worker thread, and the CLI runs `local` in one
 * (cli/local/thread.ts). `--heap-growing-percent` is read at every full GC and holds for every thread.
 *
 * Measured (bench:local at that load, one run each on the shared 2-core machine, ratio to Mosquitto in the same run):
 *
 *   Node's defaults                                         peak RSS 246–252 MiB   0.54–0.60×  (load 1.3–3.0)
 *   young generation 2 × 1 MiB only                         peak RSS 189–256 MiB   0.45–0.60×  (the old generation
 *                                                           then takes what V8's dynamic growing factor allows)
 *   young 2 × 1 MiB, old generation grows ≤ 1.5× per GC     peak RSS 140–176 MiB   0.37–0.46×  (full GCs too often)
 *   young 2 × 4 MiB, old generation grows ≤ 2×              peak RSS 211 MiB       0.46×       (load 3.4)
 *   young 2 × 1 MiB, old generation grows ≤ 1.75× (these)   peak RSS 183–193 MiB   0.37–0.60×  (load 1.6–2.9)
 *
 * In runs alternated with the previous bundle (same load): 246 / 250 MiB at 0.61 / 0.70× before, 187 / 193 MiB at
 * 0.58 / 0.60× with these settings; one in flight per device: 204 MiB → 154 MiB. The price is GC work: the runner's
 * own rate fell by ~10–20 % in those pairs, within the machine's noise but consistently.
 *   --optimize-for-size (for comparison)                    peak RSS 141 MiB       0.25×       (slower code too)
 *
 * A second series on the quiet machine (load 0.8–2.2), the runner's own rate beside the ratio, since Mosquitto's rate
 * alone moved 24k–42k msg/s between runs: defaults 17.2k–18.7k msg/s at 293–300 MiB; these settings 17.7k–19.3k
 * msg/s at 188–197 MiB; young 2 × 4 MiB 16.4k at 195–197 MiB; young 2 × 8 MiB 15.2k–16.4k at 200–211 MiB; old
 * growth ≤ 1.5× 13.3k–22.0k at 180–186 MiB, ≤ 1.6× 18.1k–18.9k at 176–182 MiB. So the rate cost of these settings is
 * within the noise, and tighter old-generation growth does not reach 160 MiB: what is left is Buffers awaiting
 * collection, native memory and the mapped binary. `MALLOC_ARENA_MAX=2` in the environment saves another ~12 MiB
 * (176–178 MiB); glibc reads it only at process start, so it is the user's choice, not set here.
 *
 * Less garbage per message (the next round, with these settings unchanged). The levers, each in the file it touches:
 * - journal/: entries encoded straight into two reused group buffers — no Buffer per entry and no concatenation per
 *   group (two short-lived external allocations of ~330 bytes per 200-byte message, collected only once external
 *   memory had grown by tens of MiB);
 * - lambda/runtime.ts: the parser's worker receives the records' bytes transferred and builds the base64 event
 *   itself — no base64 string per record in this thread (held for the whole invocation, so promoted to the old
 *   generation) and no second copy in the serialized message;
 * - firehose/delivery-stream.ts: Lambda's response limit checked by summing the records' JSON — no ~1.3 MB string
 *   (large-object space) per 1 MB batch;
 * - iot/authorizer.ts: decisions cached per action, then per topic — no `${action} ${topic}` key per publish;
 * - firehose/delivery-stream.ts: one object per put record (SourceRecord) instead of an item, a countdown closure
 *   and its context — no peak RSS gain measurable on its own (172.9 / 172.8 MiB against 170.0 / 167.4, load 5.5–7.3).
 * Measured together (bench:local, 100 devices × 1,000 messages × 32 in flight, the bundles before and after run one
 * after the other with `--cli`):
 *   quiet (load 1.0–2.6, runner 16.8k–18.6k msg/s)   before 184.5 (179.1 alone)         after 170.9 / 178.3 MiB
 *   loaded (load 4–17, runner 3k–15k msg/s)           before 177.6 / 180.8 / 178.7 MiB   after 164.3 / 170.0 / 165.9 /
 *                                                                                         169.3 / 172.9 / 172.8 MiB
 * Medians 179.1 → 170.5 MiB: about −9 MiB, not ≤ 160 MiB; the faster the runner ran, the less the levers showed (the
 * 178.3 MiB run was the fastest, 17.7k msg/s). The journal lever alone showed nothing measurable (one pair at load
 * 16–19: 168.2 MiB before, 168.8 after); the levers were not separated further. One in flight per device: 147.0 MiB
 * before, 146.8 after (load 1.4–1.8), 0.56× / 0.53× Mosquitto — unchanged: that path waits on fdatasync, not on
 * garbage. Not touched, and where the rest is: aedes' own objects per publish (the Packet copy, the PUBACK, the
 * promises of the memory persistence's subscriptionsByTopic / outgoingEnqueueCombi — node_modules, not ours), the
 * delivery promise per record (the rules engine's `put` contract: a Promise and its resolve function), and the native
 * part named above (the mapped binary ~44 MiB, malloc arenas ~12 MiB). The ratios to Mosquitto in the loaded runs
 * (0.35–0.73×) say nothing: Mosquitto's own rate moved 4.6k–31.6k msg/s between runs.
 */

/** The young generation of each thread that runs the runner or a Node.js Lambda function: two 1 MiB semi-spaces. */
export const YOUNG_GENERATION_MB = 3;

/**
 * V8 flags the CLI sets (`v8.setFlagsFromString`) before it starts the runner's thread: after a full GC the old
 * generation may grow to 1.75× its live size before the next one (V8 picks 1.1×–4× from its GC and mutator speeds,
 * and with ~25 MiB live it went to ~57 MiB, ~98 MiB with the small young generation).
 */
export const HEAP_FLAGS: readonly string[] = ['--heap-growing-percent=75'];
