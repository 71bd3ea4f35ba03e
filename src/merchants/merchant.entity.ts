import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type MerchantStatus = 'active' | 'disabled';

@Entity('merchants')
export class Merchant {
  @PrimaryColumn('text') id: string;
  @Column('text') name: string;
  @Column('text') status: MerchantStatus;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

@Entity('api_keys')
export class ApiKey {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'merchant_id' }) merchantId: string;
  /** sha256 of the key: the key itself is shown once and never stored. */
  @Column('text', { name: 'key_hash' }) keyHash: string;
  @Column('text') last4: string;
  @Column('boolean') livemode: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'expires_at', nullable: true }) expiresAt: Date | null;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
}

@Entity('provider_accounts')
export class ProviderAccountRow {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'merchant_id' }) merchantId: string;
  @Column('text') provider: string;
  /** false: the simulated account test-mode orders use (docs/test-mode.md). */
  @Column('boolean') livemode: boolean;
  /** AES-256-GCM sealed JSON of the account's fields (see common/crypto SecretBox). */
  @Column('text', { name: 'credentials_sealed' }) credentialsSealed: string;
  /** Set when the gateway rejected the credentials (e.g. an expired Bakong token). */
  @Column('text', { name: 'needs_attention', nullable: true }) needsAttention: string | null;
  /** When the stored credential stops working (a Bakong token's JWT exp), when the gateway's credential tells. */
  @Column('timestamptz', { name: 'credential_expires_at', nullable: true }) credentialExpiresAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
