import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, ArrayMaxSize, IsArray, IsBoolean, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

export const SMM_PANEL_TYPES = ['perfectpanel', 'socpanel'] as const;
export type SmmPanelType = (typeof SMM_PANEL_TYPES)[number];
/** Gateways the top-up widget may use, in the order it picks the first configured one. */
export const TOPUP_PROVIDER_ORDER = ['bakong', 'bakongapi', 'raksmeypay', 'ahnajak'] as const;
/** At most this many preset amounts (two rows of the widget's four-column grid). */
export const MAX_TOPUP_PRESETS = 8;

export class PutSmmPanelDto {
  @ApiProperty({ enum: SMM_PANEL_TYPES, description: 'Which panel software: PerfectPanel (admin API v2) or SocPanel (private API).' })
  @IsIn(SMM_PANEL_TYPES, { message: `type must be one of ${SMM_PANEL_TYPES.join(', ')}` })
  type: SmmPanelType;

  @ApiProperty({
    example: 'https://panel.example.com',
    description: "The panel's base URL; the orchestrator calls {api_url}/adminapi/v2/… (PerfectPanel) or {api_url}/privateApi/… (SocPanel).",
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(2000)
  api_url: string;

  @ApiPropertyOptional({
    description:
      "The panel's admin API key (PerfectPanel X-Api-Key) or private API token (SocPanel). Write-only: encrypted at rest, masked on read. May be omitted on later PUTs to keep the stored one.",
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  api_key?: string;

  @ApiProperty({ description: 'Whether the top-up widget is on.' })
  @IsBoolean()
  enabled: boolean;

  @ApiPropertyOptional({
    enum: TOPUP_PROVIDER_ORDER,
    nullable: true,
    description: 'Gateway for top-up orders; default: the first configured of bakong, bakongapi, raksmeypay, ahnajak.',
  })
  @IsOptional()
  @IsIn(TOPUP_PROVIDER_ORDER, { message: `provider must be one of ${TOPUP_PROVIDER_ORDER.join(', ')}` })
  provider?: string;

  // Amounts are checked by SmmPanelsService (decimal, USD precision, > 0, min ≤ max, presets inside): @Allow only whitelists them here.
  @ApiPropertyOptional({
    oneOf: [{ type: 'string' }, { type: 'number' }],
    example: '1.00',
    description:
      'Smallest top-up the widget accepts, USD decimal string. Default 1.00; omitted on later PUTs keeps the stored one. Query parameters of the embed URL no longer set it.',
  })
  @Allow()
  min_amount?: string | number;

  @ApiPropertyOptional({
    oneOf: [{ type: 'string' }, { type: 'number' }],
    example: '1000.00',
    description: 'Largest top-up the widget accepts (≥ min_amount). Default 1000.00; omitted on later PUTs keeps the stored one.',
  })
  @Allow()
  max_amount?: string | number;

  @ApiPropertyOptional({
    type: [String],
    example: ['5.00', '10.00', '20.00', '50.00'],
    description: `One-tap amounts shown by the widget (up to ${MAX_TOPUP_PRESETS}, each within [min_amount, max_amount]). [] (the default) shows round amounts within the bounds; omitted on later PUTs keeps the stored ones.`,
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_TOPUP_PRESETS)
  preset_amounts?: (string | number)[];
}

export class SmmPanelResponse {
  @ApiProperty({ example: 'smm_panel' }) object: string;
  @ApiProperty({ enum: SMM_PANEL_TYPES }) type: string;
  @ApiProperty({ example: 'https://panel.example.com' }) api_url: string;
  @ApiProperty({ example: '••••a1b2', description: 'Masked.' }) api_key: string;
  @ApiProperty() enabled: boolean;
  @ApiPropertyOptional({ nullable: true, enum: TOPUP_PROVIDER_ORDER }) provider: string | null;
  @ApiPropertyOptional({ nullable: true, description: 'The gateway the widget uses now.' }) effective_provider: string | null;
  @ApiProperty({ example: '1.00' }) min_amount: string;
  @ApiProperty({ example: '1000.00' }) max_amount: string;
  @ApiProperty({ type: [String], example: ['5.00', '10.00'] }) preset_amounts: string[];
  @ApiProperty({
    example: 'https://pay.example.com/topup/mer_01jd0000000000000000000000?amount=10',
    description: "The iframe's src (the panel's embed script appends &u=…&e=…).",
  })
  widget_url: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}
