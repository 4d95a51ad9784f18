/**
 * Runs one `tok1d <args>` in this process and prints its peak resident memory
 * (VmHWM from /proc/self/status) as JSON on the last stdout line.
 * @module
 */
import { readFileSync } from "node:fs";
import { main } from "../cli.ts";

const code = await main(Deno.args);
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
console.log(JSON.stringify({ code, peakKiB: Number(hwm) }));
Deno.exit(code);
