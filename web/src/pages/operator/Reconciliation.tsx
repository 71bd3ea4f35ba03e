import { Alert, Button, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api';
import { Pager, usePager } from '../../components/Pager';
import { QueryState, StatusBadge } from '../../components/QueryState';
import { useI18n } from '../../i18n';

/** Operator console: reconciliation runs, newest first, and "run now" (a synchronous sweep of every PENDING transaction). */
export function Reconciliation() {
  const { t } = useI18n();
  const queries = useQueryClient();
  const pager = usePager();
  const runs = useQuery({
    queryKey: ['admin', 'runs', pager.cursor],
    queryFn: async () => {
      const page = await unwrap(api.GET('/admin/reconciliation/runs', { params: { query: { limit: 25, starting_after: pager.cursor } } }));
      return { data: page.data ?? [], has_more: page.has_more ?? false };
    },
  });
  const runNow = useMutation({
    mutationFn: () => unwrap(api.POST('/admin/reconciliation/runs')),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['admin', 'runs'] }),
  });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('navReconciliation')}</Title>
        <Button onClick={() => runNow.mutate()} loading={runNow.isPending}>
          {t('runNow')}
        </Button>
      </Group>
      {runNow.error && (
        <Alert color="red" role="alert">
          {runNow.error.message}
        </Alert>
      )}
      {runNow.data && (
        <Text role="status" size="sm">
          {t('runFinished')}: {runNow.data.checked} {t('checked')}, {runNow.data.paid} {t('paidCount')}, {runNow.data.errors} {t('errors')}
        </Text>
      )}
      <QueryState query={runs} isEmpty={(d) => d.data.length === 0}>
        {(page) => (
          <>
            <Table.ScrollContainer minWidth={700}>
              <Table striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('started')}</Table.Th>
                    <Table.Th>{t('trigger')}</Table.Th>
                    <Table.Th>{t('status')}</Table.Th>
                    <Table.Th>{t('claimed')}</Table.Th>
                    <Table.Th>{t('checked')}</Table.Th>
                    <Table.Th>{t('paidCount')}</Table.Th>
                    <Table.Th>{t('expiredCount')}</Table.Th>
                    <Table.Th>{t('errors')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {page.data.map((r) => (
                    <Table.Tr key={r.id}>
                      <Table.Td>{new Date(r.started_at).toLocaleString()}</Table.Td>
                      <Table.Td>{r.trigger}</Table.Td>
                      <Table.Td>
                        <StatusBadge status={r.status} />
                      </Table.Td>
                      <Table.Td>{r.claimed}</Table.Td>
                      <Table.Td>{r.checked}</Table.Td>
                      <Table.Td>{r.paid}</Table.Td>
                      <Table.Td>{r.expired}</Table.Td>
                      <Table.Td>{r.errors}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <Pager {...pager} page={page} />
          </>
        )}
      </QueryState>
    </Stack>
  );
}
