/**
 * The plugin registry: one import and one entry per family, sorted.
 * @module
 */
import type { Plugin } from "../core/plugin.ts";
import { alit } from "./alit/mod.ts";
import { bdd1d } from "./bdd_1d/mod.ts";
import { elastictok } from "./elastictok/mod.ts";
import { marvel } from "./marvel/mod.ts";
import { titok } from "./titok/mod.ts";

/** Every tokenizer family tok1d knows, by name. */
export const PLUGINS: Readonly<Record<string, Plugin<unknown>>> = {
  alit: alit as Plugin<unknown>,
  bdd_1d: bdd1d as Plugin<unknown>,
  elastictok: elastictok as Plugin<unknown>,
  marvel: marvel as Plugin<unknown>,
  titok: titok as Plugin<unknown>,
};
