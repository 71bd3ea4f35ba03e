import { Anchor, Group, Select, Stack, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import type { operations } from '../../../clients/typescript';
import { api, unwrap } from '../api';
import { DataTable } from '../components/DataTable';
import { usePager } from '../components/Pager';
import { StatusBadge } from '../components/QueryState';
import { useI18n } from '../i18n';

type Filters = NonNullable<operations['listOrders']['parameters']['query']>;
const STATUSES = ['PENDING', 'PAID', 'EXPIRED', 'CANCELLED', 'FAILED'] as const;
const PROVIDERS = ['raksmeypay', 'ahnajak', 'bakongapi', 'checkout', 'bakong'] as const;

export function Orders() {
  const { t } = useI18n();
  const [status, setStatus] = useState<Filters['status'] | null>(null);
  const [provider, setProvider] = useState<Filters['provider'] | null>(null);
  const [reference, setReference] = useState('');
  const pager = usePager();
  const query: Filters = {
    limit: 25,
    status: status ?? undefined,
    provider: provider ?? undefined,
    reference: reference || undefined,
    starting_after: pager.cursor,
  };
  const orders = useQuery({ queryKey: ['orders', query], queryFn: () => unwrap(api.GET('/v1/orders', { params: { query } })) });
  const reset = () => pager.setCursor(undefined);
  return (
    <Stack>
      <Title order={2}>{t('navOrders')}</Title>
      <Group align="flex-end">
        <Select
          label={t('status')}
          placeholder={t('any')}
          clearable
          data={[...STATUSES]}
          value={status ?? null}
          onChange={(v) => (setStatus(v as Filters['status']), reset())}
        />
        <Select
          label={t('provider')}
          placeholder={t('any')}
          clearable
          data={[...PROVIDERS]}
          value={provider ?? null}
          onChange={(v) => (setProvider(v as Filters['provider']), reset())}
        />
        <TextInput label={t('reference')} value={reference} onChange={(e) => (setReference(e.currentTarget.value), reset())} />
      </Group>
      <DataTable
        query={orders}
        label={t('navOrders')}
        minWidth={600}
        highlightOnHover
        pager={pager}
        columns={[
          {
            header: t('reference'),
            cell: (o) => (
              <Anchor component={Link} to={`/orders/${o.id}`}>
                {o.reference}
              </Anchor>
            ),
          },
          { header: t('status'), cell: (o) => <StatusBadge status={o.status} /> },
          { header: t('amount'), cell: (o) => `${o.amount} ${o.currency}` },
          { header: t('provider'), cell: (o) => o.provider },
          { header: t('created'), cell: (o) => new Date(o.created_at).toLocaleString() },
        ]}
      />
    </Stack>
  );
}
