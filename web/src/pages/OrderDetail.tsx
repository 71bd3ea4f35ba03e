import { Alert, Anchor, Button, Code, Group, Stack, Table, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router-dom';
import { api, unwrap } from '../api';
import { QueryState, StatusBadge } from '../components/QueryState';
import { useI18n } from '../i18n';

export function OrderDetail() {
  const { t } = useI18n();
  const { id = '' } = useParams();
  const queries = useQueryClient();
  const order = useQuery({ queryKey: ['order', id], queryFn: () => unwrap(api.GET('/v1/orders/{id}', { params: { path: { id } } })) });
  const done = () => queries.invalidateQueries({ queryKey: ['order', id] });
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
            {failure && (
              <Alert color="red" role="alert">
                {failure.message}
              </Alert>
            )}
            <Group>
              <Button onClick={() => verify.mutate()} loading={verify.isPending} disabled={o.status !== 'PENDING'}>
                {t('verify')}
              </Button>
              <Button color="red" variant="light" onClick={() => cancel.mutate()} loading={cancel.isPending} disabled={o.status !== 'PENDING'}>
                {t('cancel')}
              </Button>
            </Group>
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
          </Stack>
        )}
      </QueryState>
    </Stack>
  );
}
