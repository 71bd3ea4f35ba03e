import { Button, Group, PasswordInput, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Schema } from '../../../clients/typescript';
import { api, unwrap } from '../api';
import { useAuth } from '../auth';
import { DataTable } from '../components/DataTable';
import { MutationAlerts } from '../components/MutationAlerts';
import { useI18n } from '../i18n';

type MemberRole = Schema<'ChangeRoleDto'>['role'];
const ROLES: MemberRole[] = ['owner', 'developer', 'viewer'];

function InviteForm() {
  const { t } = useI18n();
  const queries = useQueryClient();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<MemberRole>('viewer');
  const [password, setPassword] = useState('');
  const invite = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/team', { body: { email, role, password } })),
    onSuccess: async () => (setEmail(''), setPassword(''), await queries.invalidateQueries({ queryKey: ['team'] })),
  });
  const submit = (e: FormEvent) => (e.preventDefault(), invite.mutate());
  return (
    <form onSubmit={submit} aria-labelledby="invite-title">
      <Stack gap="xs">
        <Title order={3} size="h4" id="invite-title">
          {t('invite')}
        </Title>
        <Text size="sm" c="dimmed">
          {t('inviteHelp')}
        </Text>
        <MutationAlerts error={invite.error} success={invite.isSuccess && t('invited')} />
        <Group align="flex-end">
          <TextInput label={t('email')} type="email" required value={email} onChange={(e) => setEmail(e.currentTarget.value)} miw={240} />
          <Select
            label={t('role')}
            allowDeselect={false}
            data={ROLES.map((r) => ({ value: r, label: t(`role_${r}`) }))}
            value={role}
            onChange={(v) => setRole((v as MemberRole) ?? 'viewer')}
            w={160}
          />
          <PasswordInput
            label={t('initialPassword')}
            required
            minLength={10}
            maxLength={256}
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            miw={220}
          />
          <Button type="submit" loading={invite.isPending}>
            {t('invite')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** The team: every member reads the list; owners invite (role + initial password), change roles and remove. */
export function Team() {
  const { t } = useI18n();
  const { me, can } = useAuth();
  const queries = useQueryClient();
  const team = useQuery({ queryKey: ['team'], queryFn: () => unwrap(api.GET('/v1/team')) });
  const done = () => queries.invalidateQueries({ queryKey: ['team'] });
  const change = useMutation({
    mutationFn: (v: { id: string; role: MemberRole }) => unwrap(api.PATCH('/v1/team/{id}', { params: { path: { id: v.id } }, body: { role: v.role } })),
    onSuccess: done,
  });
  const remove = useMutation({ mutationFn: (id: string) => unwrap(api.DELETE('/v1/team/{id}', { params: { path: { id } } })), onSuccess: done });
  const failure = change.error ?? remove.error;
  return (
    <Stack>
      <Title order={2}>{t('navTeam')}</Title>
      {can.owner && <InviteForm />}
      <MutationAlerts error={failure} />
      <DataTable
        query={team}
        label={t('navTeam')}
        minWidth={600}
        columns={[
          { header: t('email'), cell: (u) => u.email },
          {
            header: t('role'),
            cell: (u) =>
              can.owner ? (
                <Select
                  aria-label={`${t('role')} ${u.email}`}
                  allowDeselect={false}
                  data={ROLES.map((r) => ({ value: r, label: t(`role_${r}`) }))}
                  value={u.role}
                  onChange={(v) => v && v !== u.role && change.mutate({ id: u.id, role: v as MemberRole })}
                  w={160}
                />
              ) : (
                t(`role_${u.role}`)
              ),
          },
          { header: t('created'), cell: (u) => new Date(u.created_at).toLocaleString() },
          {
            cell: (u) =>
              can.owner &&
              u.id !== me?.user.id && (
                <Group justify="flex-end">
                  <Button
                    size="xs"
                    color="red"
                    variant="light"
                    onClick={() => {
                      if (window.confirm(`${t('removeConfirm')} ${u.email}?`)) remove.mutate(u.id);
                    }}
                    aria-label={`${t('remove')} ${u.email}`}
                  >
                    {t('remove')}
                  </Button>
                </Group>
              ),
          },
        ]}
      />
    </Stack>
  );
}
