/** Options common to zoo builders; each builder documents its defaults. */
export interface ZooOptions {
  /** Input height = width. */
  readonly size?: number;
  /** Input channels. */
  readonly channels?: number;
  /** Output classes. */
  readonly classes?: number;
  /** Width multiplier. */
  readonly width?: number;
}
