// Time a model compiled with `timber compile --target wasm` in Node.js:
//   node scripts/bench-wasm.mjs DIR [ROWS] [ROUNDS]
// DIR holds model.mjs and model.wasm. Inputs are ROWS (default 10000)
// pseudo-random rows from a fixed seed with about 10 % NaN; each round
// predicts them as one batch and, separately, row by row. Prints the
// median ns/row of each way and the size of model.wasm.
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [dir, rowsArg, roundsArg] = process.argv.slice(2);
if (!dir) {
    console.error("usage: node scripts/bench-wasm.mjs DIR [ROWS] [ROUNDS]");
    process.exit(2);
}
const rows = Number(rowsArg ?? 10000);
const rounds = Number(roundsArg ?? 21);
const m = await import(pathToFileURL(resolve(dir, "model.mjs")).href);

let seed = 0x74696d62;
const random = () => {
    // xorshift32: the same rows on every run.
    seed ^= seed << 13; seed >>>= 0;
    seed ^= seed >>> 17;
    seed ^= seed << 5; seed >>>= 0;
    return seed / 4294967296;
};
const input = new Float32Array(rows * m.nFeatures);
for (let i = 0; i < input.length; i++) {
    input[i] = m.nanPolicy === "missing" && random() < 0.1 ? NaN : random() * 8 - 4;
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const batch = [];
const single = [];
let sink = 0;
for (let r = 0; r < rounds + 1; r++) {
    let t = process.hrtime.bigint();
    sink += m.predict(input)[0];
    const b = Number(process.hrtime.bigint() - t) / rows;
    t = process.hrtime.bigint();
    for (let i = 0; i < rows; i++) {
        sink += m.predict(input.subarray(i * m.nFeatures, (i + 1) * m.nFeatures))[0];
    }
    const s = Number(process.hrtime.bigint() - t) / rows;
    if (r > 0) { // round 0 warms the JIT up
        batch.push(b);
        single.push(s);
    }
}
const bytes = statSync(resolve(dir, "model.wasm")).size;
console.log(`model.wasm ${bytes} bytes; ${rows} rows x ${rounds} rounds; ` +
    `batch ${median(batch).toFixed(1)} ns/row, single-row calls ${median(single).toFixed(1)} ns/row` +
    (Number.isNaN(sink) ? " (NaN seen)" : ""));
