/**
 * Splits a text stream into lines (`@std/streams`' TextLineStream, which
 * cannot be fetched here: no JSR).
 *
 * @module
 */

/** A TransformStream from text chunks to lines (without their `\n`). */
export class TextLineStream extends TransformStream<string, string> {
  constructor() {
    let rest = "";
    super({
      transform(chunk, controller) {
        const parts = (rest + chunk).split("\n");
        rest = parts.pop()!;
        for (const p of parts) controller.enqueue(p);
      },
      flush(controller) {
        if (rest) controller.enqueue(rest);
      },
    });
  }
}
