import { Anchor, Button, Code, Group, Stack, Table, Text, Timeline, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router-dom';
import { api, unwrap } from '../api';
import { useAuth } from '../auth';
import { MutationAlerts } from '../components/MutationAlerts';
import { QueryState, StatusBadge } from '../components/QueryState';
import { useI18n } from '../i18n';
import { OrderRefunds } from './OrderRefunds';

export function OrderDetail() {
  const { t } = useI18n();
  const { id = '' } = useParams();
  const { can } = useAuth();
  const queries = useQueryClient();
  const order = useQuery({ queryKey: ['order', id], queryFn: () => unwrap(api.GET('/v1/orders/{id}', { params: { path: { id } } })) });
  const done = () => queries.invalidateQueries({ queryKey: ['order', id] }); // the events below too (same key prefix)
  const verify = useMutation({ mutationFn: () => unwrap(api.POST('/v1/orders/{id}/verify', { params: { path: { id } } })), onSuccess: done });
  const cancel = useMutation({ mutationFn: () => unwrap(api.POST('/v1/orders/{id}/cancel', { params: { path: { id } } })), onSuccess: done });
  const failure = verify.error ?? cancel.error;
  return (
    <Stack>
      <Anchor component={Link} to="/orders">
        ← {t('back')}
      </Anchor>
      <QueryState query={order}>
        {(o) => (
          <Stack>
            <Group justify="space-between">
              <Title order={2}>
                {t('order')} {o.reference}
              </Title>
              <StatusBadge status={o.status} />
            </Group>
            <MutationAlerts error={failure} />
            {can.owner && o.status === 'PENDING' && (
              <Group>
                <Button onClick={() => verify.mutate()} loading={verify.isPending} disabled={o.status !== 'PENDING'}>
                  {t('verify')}
                </Button>
                <Button color="red" variant="light" onClick={() => cancel.mutate()} loading={cancel.isPending} disabled={o.status !== 'PENDING'}>
                  {t('cancel')}
                </Button>
              </Group>
            )}
            <Table>
              <Table.Tbody>
                {(
                  [
                    ['id', o.id],
                    [t('amount'), `${o.amount} ${o.currency}`],
                    [t('provider'), o.provider],
                    ['checkout_url', o.checkout_url],
                    ['provider_reference', o.transaction?.provider_reference ?? ''],
                    ['verification', o.verification ?? ''],
                    ['flags', (o.flags ?? []).join(', ')],
                    ['paid_amount', o.paid_amount ? `${String(o.paid_amount)} ${o.currency}` : ''],
                    [t('created'), new Date(o.created_at).toLocaleString()],
                  ] as [string, string][]
                ).map(([k, v]) => (
                  <Table.Tr key={k}>
                    <Table.Th w={200}>{k}</Table.Th>
                    <Table.Td>
                      <Code>{v}</Code>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            <OrderRefunds order={o} />
          </Stack>
        )}
      </QueryState>
      <EventTimeline orderId={id} />
    </Stack>
  );
}

/** The order's events (GET /v1/events?order_id=), oldest first: what happened and when. */
function EventTimeline({ orderId }: { orderId: string }) {
  const { t } = useI18n();
  const events = useQuery({
    queryKey: ['order', orderId, 'events'],
    queryFn: () => unwrap(api.GET('/v1/events', { params: { query: { order_id: orderId, limit: 100 } } })),
  });
  return (
    <Stack component="section" aria-labelledby="timeline-title">
      <Title order={3} size="h4" id="timeline-title">
        {t('timeline')}
      </Title>
      <QueryState query={events} isEmpty={(d) => d.data.length === 0}>
        {(list) => {
          const ordered = [...list.data].reverse();
          return (
            <Timeline active={ordered.length - 1} bulletSize={18} lineWidth={2}>
              {ordered.map((e) => {
                const order = (e.data as { order?: { status?: string; flags?: string[] } }).order;
                return (
                  <Timeline.Item key={e.id} title={e.type}>
                    <Text size="sm">
                      {order?.status ?? ''}
                      {order?.flags?.length ? ` · ${order.flags.join(', ')}` : ''}
                    </Text>
                    <Text size="xs" c="dimmed">
                      <time dateTime={e.created_at}>{new Date(e.created_at).toLocaleString()}</time> · #{e.sequence} · {e.id}
                    </Text>
                  </Timeline.Item>
                );
              })}
            </Timeline>
          );
        }}
      </QueryState>
    </Stack>
  );
}
