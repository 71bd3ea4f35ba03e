import { ValueTransformer } from 'typeorm';

/** bigint minor units <-> JS number (amounts are capped far below 2^53). */
export const bigintNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null || value === undefined ? null : Number(value)),
};
