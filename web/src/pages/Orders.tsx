import { Anchor, Button, Group, Select, Stack, Table, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import type { operations } from '../../../clients/typescript';
import { api, unwrap } from '../api';
import { QueryState, StatusBadge } from '../components/QueryState';
import { useI18n } from '../i18n';

type Filters = NonNullable<operations['listOrders']['parameters']['query']>;
const STATUSES = ['PENDING', 'PAID', 'EXPIRED', 'CANCELLED', 'FAILED'] as const;
const PROVIDERS = ['raksmeypay', 'ahnajak', 'bakongapi', 'checkout', 'bakong'] as const;

export function Orders() {
  const { t } = useI18n();
  const [status, setStatus] = useState<Filters['status'] | null>(null);
  const [provider, setProvider] = useState<Filters['provider'] | null>(null);
  const [reference, setReference] = useState('');
  const [cursor, setCursor] = useState<string | undefined>();
  const query: Filters = { limit: 25, status: status ?? undefined, provider: provider ?? undefined, reference: reference || undefined, starting_after: cursor };
  const orders = useQuery({ queryKey: ['orders', query], queryFn: () => unwrap(api.GET('/v1/orders', { params: { query } })) });
  const reset = () => setCursor(undefined);
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
      <QueryState query={orders} isEmpty={(d) => d.data.length === 0}>
        {(page) => (
          <>
            <Table.ScrollContainer minWidth={600}>
              <Table striped highlightOnHover>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('reference')}</Table.Th>
                    <Table.Th>{t('status')}</Table.Th>
                    <Table.Th>{t('amount')}</Table.Th>
                    <Table.Th>{t('provider')}</Table.Th>
                    <Table.Th>{t('created')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {page.data.map((o) => (
                    <Table.Tr key={o.id}>
                      <Table.Td>
                        <Anchor component={Link} to={`/orders/${o.id}`}>
                          {o.reference}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>
                        <StatusBadge status={o.status} />
                      </Table.Td>
                      <Table.Td>
                        {o.amount} {o.currency}
                      </Table.Td>
                      <Table.Td>{o.provider}</Table.Td>
                      <Table.Td>{new Date(o.created_at).toLocaleString()}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <Group>
              <Button variant="default" disabled={!cursor} onClick={reset}>
                {t('first')}
              </Button>
              <Button variant="default" disabled={!page.has_more} onClick={() => setCursor(page.data[page.data.length - 1]?.id)}>
                {t('next')}
              </Button>
            </Group>
          </>
        )}
      </QueryState>
    </Stack>
  );
}
