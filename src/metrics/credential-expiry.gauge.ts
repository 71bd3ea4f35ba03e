import { Counter, Gauge, Registry } from 'prom-client';
import { ProviderAccountsRepository } from '../merchants/provider-accounts.repository';
import { CREDENTIAL_WARNING_DAYS } from '../merchants/provider-accounts.service';

/** Gateway accounts whose token expires soon, read from PostgreSQL at scrape time (counts only: no merchant in a label). */
export function registerCredentialExpiryGauge(r: Registry, accounts: ProviderAccountsRepository, scrapeErrors: () => Counter<'source'>): void {
  new Gauge({
    name: 'khqr_provider_credentials_expiring',
    help: `Gateway accounts whose token (a Bakong JWT) has expired (state="expired") or expires within ${CREDENTIAL_WARNING_DAYS} days (state="expiring"), by provider. Counts, not merchants.`,
    labelNames: ['provider', 'state'],
    registers: [r],
    async collect() {
      try {
        const rows = await accounts.countExpiringCredentials(CREDENTIAL_WARNING_DAYS * 86_400);
        this.reset();
        for (const row of rows) {
          this.set({ provider: row.provider, state: 'expired' }, row.expired);
          this.set({ provider: row.provider, state: 'expiring' }, row.expiring - row.expired);
        }
      } catch {
        scrapeErrors().inc({ source: 'provider_credentials' });
      }
    },
  });
}
