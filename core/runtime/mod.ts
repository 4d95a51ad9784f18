/**
 * ONNX Runtime sessions and execution providers.
 * @module
 */
export { checkFeeds, Session, type SessionOptions } from "./session.ts";
export { parsePrecision, type Precision, PRECISIONS } from "./precision.ts";
export { DirectEngine } from "./engine_direct.ts";
export { type Device, DEVICES, executionProviders, providerAvailable } from "./providers.ts";
export { OnnxFileSession } from "./file.ts";
export { freeTensors } from "./free.ts";
export { inPlacePairs } from "./in_place.ts";
