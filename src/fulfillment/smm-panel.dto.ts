import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

export const SMM_PANEL_TYPES = ['perfectpanel', 'socpanel'] as const;
export type SmmPanelType = (typeof SMM_PANEL_TYPES)[number];
/** Gateways the top-up widget may use, in the order it picks the first configured one. */
export const TOPUP_PROVIDER_ORDER = ['bakong', 'bakongapi', 'raksmeypay', 'ahnajak'] as const;

export class PutSmmPanelDto {
  @ApiProperty({ enum: SMM_PANEL_TYPES, description: 'Which panel software: PerfectPanel (admin API v2) or SocPanel (private API).' })
  @IsIn(SMM_PANEL_TYPES, { message: `type must be one of ${SMM_PANEL_TYPES.join(', ')}` })
  type: SmmPanelType;

  @ApiProperty({ example: 'https://panel.example.com', description: "The panel's base URL; the orchestrator calls {api_url}/adminapi/v2/… (PerfectPanel) or {api_url}/privateApi/… (SocPanel)." })
  @IsString()
  @IsNotEmpty()
  @MaxLength(2000)
  api_url: string;

  @ApiPropertyOptional({ description: "The panel's admin API key (PerfectPanel X-Api-Key) or private API token (SocPanel). Write-only: encrypted at rest, masked on read. May be omitted on later PUTs to keep the stored one." })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  api_key?: string;

  @ApiProperty({ description: 'Whether the top-up widget is on.' })
  @IsBoolean()
  enabled: boolean;

  @ApiPropertyOptional({ enum: TOPUP_PROVIDER_ORDER, nullable: true, description: 'Gateway for top-up orders; default: the first configured of bakong, bakongapi, raksmeypay, ahnajak.' })
  @IsOptional()
  @IsIn(TOPUP_PROVIDER_ORDER, { message: `provider must be one of ${TOPUP_PROVIDER_ORDER.join(', ')}` })
  provider?: string;
}

export class SmmPanelResponse {
  @ApiProperty({ example: 'smm_panel' }) object: string;
  @ApiProperty({ enum: SMM_PANEL_TYPES }) type: string;
  @ApiProperty({ example: 'https://panel.example.com' }) api_url: string;
  @ApiProperty({ example: '••••a1b2', description: 'Masked.' }) api_key: string;
  @ApiProperty() enabled: boolean;
  @ApiPropertyOptional({ nullable: true, enum: TOPUP_PROVIDER_ORDER }) provider: string | null;
  @ApiPropertyOptional({ nullable: true, description: 'The gateway the widget uses now.' }) effective_provider: string | null;
  @ApiProperty({ example: 'https://pay.example.com/topup/mer_01jd0000000000000000000000?amount=10&min=1&max=1000' }) widget_url: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}
