import { Code, Stack, Table, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../../api';
import { Pager, usePager } from '../../components/Pager';
import { QueryState } from '../../components/QueryState';
import { useI18n } from '../../i18n';

/** Operator console: the audit log (who, what, when, why), filterable by subject. */
export function AuditLog() {
  const { t } = useI18n();
  const pager = usePager();
  const [subject, setSubject] = useState('');
  const query = { limit: 25, starting_after: pager.cursor, subject_id: subject.trim() || undefined };
  const list = useQuery({ queryKey: ['admin', 'audit', query], queryFn: () => unwrap(api.GET('/admin/audit-log', { params: { query } })) });
  return (
    <Stack>
      <Title order={2}>{t('navAudit')}</Title>
      <TextInput
        label={t('subject')}
        maw={360}
        value={subject}
        onChange={(e) => {
          setSubject(e.currentTarget.value);
          pager.setCursor(undefined);
        }}
      />
      <QueryState query={list} isEmpty={(d) => d.data.length === 0}>
        {(page) => (
          <>
            <Table.ScrollContainer minWidth={800}>
              <Table striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('when')}</Table.Th>
                    <Table.Th>{t('actor')}</Table.Th>
                    <Table.Th>{t('action')}</Table.Th>
                    <Table.Th>{t('subject')}</Table.Th>
                    <Table.Th>{t('reason')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {page.data.map((a) => (
                    <Table.Tr key={a.id}>
                      <Table.Td>{new Date(a.created_at).toLocaleString()}</Table.Td>
                      <Table.Td>
                        <Code>{a.actor}</Code>
                      </Table.Td>
                      <Table.Td>{a.action}</Table.Td>
                      <Table.Td>
                        <Code>{a.subject_id}</Code>
                      </Table.Td>
                      <Table.Td>{a.reason ?? '—'}</Table.Td>
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
