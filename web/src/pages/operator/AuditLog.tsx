import { Code, Stack, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../../api';
import { DataTable } from '../../components/DataTable';
import { usePager } from '../../components/Pager';
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
      <DataTable
        query={list}
        label={t('navAudit')}
        minWidth={800}
        pager={pager}
        columns={[
          { header: t('when'), cell: (a) => new Date(a.created_at).toLocaleString() },
          { header: t('actor'), cell: (a) => <Code>{a.actor}</Code> },
          { header: t('action'), cell: (a) => a.action },
          { header: t('subject'), cell: (a) => <Code>{a.subject_id}</Code> },
          { header: t('reason'), cell: (a) => a.reason ?? '—' },
        ]}
      />
    </Stack>
  );
}
