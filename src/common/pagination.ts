import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

/** `limit` (1–100, default 20) and `starting_after` (an id): Stripe-style cursor pagination. */
export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'Return items after this id (exclusive) in list order.', example: 'ord_01jd0000000000000000000000' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z]{2,5}_[0-9a-z]{26}$/, { message: 'starting_after must be an id returned by this API' })
  starting_after?: string;
}

export interface Page<T> {
  data: T[];
  has_more: boolean;
}

/** Given limit+1 rows fetched, build the page. */
export function toPage<R, T>(rows: R[], limit: number, present: (row: R) => T): Page<T> {
  return { data: rows.slice(0, limit).map(present), has_more: rows.length > limit };
}
