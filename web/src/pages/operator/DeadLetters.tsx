import { Alert, Button, Code, Stack, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api';
import { Pager, usePager } from '../../components/Pager';
import { QueryState, StatusBadge } from '../../components/QueryState';
import { useI18n } from '../../i18n';

/** Operator console: webhook deliveries that gave up (status `dead`), with retry. */
export function DeadLetters() {
  const { t } = useI18n();
  const queries = useQueryClient();
  const pager = usePager();
  const list = useQuery({
    queryKey: ['admin', 'dead', pager.cursor],
    queryFn: () => unwrap(api.GET('/admin/webhook-deliveries', { params: { query: { status: 'dead', limit: 25, starting_after: pager.cursor } } })),
  });
  const retry = useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/admin/webhook-deliveries/{id}/retry', { params: { path: { id } } })),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['admin', 'dead'] }),
  });
  return (
    <Stack>
      <Title order={2}>{t('navDeadLetters')}</Title>
      {retry.error && (
        <Alert color="red" role="alert">
          {retry.error.message}
        </Alert>
      )}
      {retry.data && (
        <Text size="sm" role="status">
          {t('retryQueued')}: <Code>{retry.data.id}</Code>
        </Text>
      )}
      <QueryState query={list} isEmpty={(d) => d.data.length === 0}>
        {(page) => (
          <>
            <Table.ScrollContainer minWidth={800}>
              <Table striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('events')}</Table.Th>
                    <Table.Th>{t('url')}</Table.Th>
                    <Table.Th>{t('status')}</Table.Th>
                    <Table.Th>{t('attempts')}</Table.Th>
                    <Table.Th>{t('lastAttempt')}</Table.Th>
                    <Table.Th>
                      <VisuallyHidden>{t('retryDelivery')}</VisuallyHidden>
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {page.data.map((d) => (
                    <Table.Tr key={d.id}>
                      <Table.Td>
                        {d.event_type} <Code>{d.event_id}</Code>
                      </Table.Td>
                      <Table.Td>{d.url}</Table.Td>
                      <Table.Td>
                        <StatusBadge status={d.status} /> {d.last_status ?? ''}
                      </Table.Td>
                      <Table.Td>{d.attempts}</Table.Td>
                      <Table.Td>{d.last_attempt_at ? new Date(d.last_attempt_at).toLocaleString() : '—'}</Table.Td>
                      <Table.Td>
                        <Button
                          size="xs"
                          variant="light"
                          loading={retry.isPending && retry.variables === d.id}
                          onClick={() => retry.mutate(d.id)}
                          aria-label={`${t('retryDelivery')} ${d.id}`}
                        >
                          {t('retryDelivery')}
                        </Button>
                      </Table.Td>
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
