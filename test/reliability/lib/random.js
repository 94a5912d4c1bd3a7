'use strict';
// A seeded pseudo-random generator, so a failing run can be repeated: every test prints its seed, and
// RELIABILITY_SEED=<seed> replays it.

/** mulberry32: small, fast, good enough to pick kill moments and fuzz payloads. Returns floats in [0, 1). */
function createRandom(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed,
    next,
    /** Integer in [min, max]. */
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)],
    chance: (p) => next() < p,
  };
}

/** The seed from RELIABILITY_SEED, or a fresh one. */
function seedFromEnv() {
  const fromEnv = Number(process.env.RELIABILITY_SEED);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : (Date.now() % 2147483647) + 1;
}

module.exports = { createRandom, seedFromEnv };
