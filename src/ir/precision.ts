/**
 * The numeric precision of a network's layers, as data: what a candidate network carries beside its graph
 * (bits per conv/dense layer, optionally per group of output channels). Parsing, presets and the checks
 * against a target's supported bits live in src/hardware/precision.ts.
 */

/** Weight and activation bit-widths of one layer (32 = float32, 16 = float16/bfloat16 on targets that have it). */
export interface Precision {
  readonly weightBits: number;
  readonly actBits: number;
}

/** A run of consecutive output channels of a layer that share one precision. */
export interface ChannelGroup extends Precision {
  readonly channels: number;
}

/** A number of a layer's input channels read at one activation width (channel-wise activation bits). */
export interface InputGroup {
  readonly channels: number;
  readonly actBits: number;
}

/**
 * The precision of one layer, optionally split into channel groups (the groups override the layer's own bits)
 * and its input channels into activation-width groups (`inputGroups`: counts per width, which channels is the
 * quantizer's business; they override the activation bits).
 */
export interface LayerPrecision extends Precision {
  readonly groups?: readonly ChannelGroup[];
  readonly inputGroups?: readonly InputGroup[];
}

/** Bits for every conv/dense layer of a network: named layers, plus a default for the rest. JSON serialisable. */
export interface PrecisionPolicy {
  readonly name?: string;
  readonly default: Precision;
  readonly layers: Readonly<Record<string, LayerPrecision>>;
}
