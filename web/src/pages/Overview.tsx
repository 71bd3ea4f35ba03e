import { BarChart } from '@mantine/charts';
import { Card, Group, SegmentedControl, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { Schema } from '../../../clients/typescript';
import { api, unwrap } from '../api';
import { QueryState } from '../components/QueryState';
import { useI18n } from '../i18n';

type Group = Schema<'SummaryGroupView'>;
const COLORS = ['blue.6', 'teal.6', 'grape.6', 'orange.6', 'cyan.6', 'pink.6', 'lime.6'];

/** Sums decimal strings of one currency exactly, in minor units (BigInt), never as floats. */
function sumAmounts(amounts: string[]): string {
  const decimals = Math.max(0, ...amounts.map((a) => a.split('.')[1]?.length ?? 0));
  const minor = amounts.reduce((acc, a) => {
    const [whole, frac = ''] = a.split('.');
    return acc + BigInt(whole + frac.padEnd(decimals, '0'));
  }, 0n);
  if (decimals === 0) return minor.toString();
  const text = minor.toString().padStart(decimals + 1, '0');
  return `${text.slice(0, -decimals)}.${text.slice(-decimals)}`;
}

function Kpis({ groups, title }: { groups: Group[]; title: string }) {
  const { t } = useI18n();
  const orders = groups.reduce((n, g) => n + g.orders, 0);
  const paid = groups.reduce((n, g) => n + g.statuses.PAID, 0);
  const pending = groups.reduce((n, g) => n + g.statuses.PENDING, 0);
  const currencies = [...new Set(groups.map((g) => g.currency))].sort();
  const collected = currencies.map((c) => `${sumAmounts(groups.filter((g) => g.currency === c).map((g) => g.paid_amount))} ${c}`);
  const cards: [string, string][] = [
    [t('kpiOrders'), String(orders)],
    [t('kpiPaid'), String(paid)],
    [t('kpiPending'), String(pending)],
    [t('kpiCollected'), collected.length ? collected.join(' · ') : '0'],
  ];
  return (
    <Stack gap="xs">
      <Title order={3} size="h4">
        {title}
      </Title>
      <SimpleGrid cols={{ base: 2, md: 4 }}>
        {cards.map(([label, value]) => (
          <Card key={label} withBorder padding="md" role="group" aria-label={label}>
            <Text size="xs" c="dimmed" tt="uppercase">
              {label}
            </Text>
            <Text size="xl" fw={700}>
              {value}
            </Text>
          </Card>
        ))}
      </SimpleGrid>
    </Stack>
  );
}

export function Overview() {
  const { t } = useI18n();
  const [currency, setCurrency] = useState<'USD' | 'KHR'>('USD');
  const summary = useQuery({ queryKey: ['summary'], queryFn: () => unwrap(api.GET('/v1/reports/summary')) });
  return (
    <Stack>
      <Title order={2}>{t('navOverview')}</Title>
      <QueryState query={summary}>
        {(s) => {
          const providers = [...new Set(s.daily.flatMap((d) => d.groups.filter((g) => g.currency === currency).map((g) => g.provider)))].sort();
          // Bar heights only (a chart plots numbers); every amount shown as text comes from the API's decimal strings.
          const data = s.daily.map((d) => ({
            date: d.date.slice(5),
            ...Object.fromEntries(providers.map((p) => [p, Number(d.groups.find((g) => g.provider === p && g.currency === currency)?.paid_amount ?? 0)])),
          }));
          return (
            <Stack gap="lg">
              <Text size="sm" c="dimmed">
                {t('timeZoneNote')} ({s.time_zone})
              </Text>
              <Kpis title={`${t('today')} · ${s.today.date}`} groups={s.today.groups} />
              <Kpis title={`${t('last7Days')} · ${s.last_7_days.from} – ${s.last_7_days.to}`} groups={s.last_7_days.groups} />
              <Card withBorder>
                <Stack>
                  <Group justify="space-between">
                    <Title order={3} size="h4" id="chart-title">
                      {t('paidByGateway')}
                    </Title>
                    <SegmentedControl aria-label={t('currency')} value={currency} onChange={(v) => setCurrency(v as 'USD' | 'KHR')} data={['USD', 'KHR']} />
                  </Group>
                  {providers.length === 0 ? (
                    <Text c="dimmed">{t('noPaymentsInCurrency')}</Text>
                  ) : (
                    <>
                      <BarChart
                        h={260}
                        data={data}
                        dataKey="date"
                        type="stacked"
                        withLegend
                        aria-labelledby="chart-title"
                        series={providers.map((p, i) => ({ name: p, color: COLORS[i % COLORS.length] }))}
                      />
                      {/* The chart's numbers as a table, for screen readers and exact values. */}
                      <Table.ScrollContainer minWidth={400}>
                        <Table aria-label={t('paidByGateway')}>
                          <Table.Thead>
                            <Table.Tr>
                              <Table.Th>{t('date')}</Table.Th>
                              {providers.map((p) => (
                                <Table.Th key={p}>{p}</Table.Th>
                              ))}
                            </Table.Tr>
                          </Table.Thead>
                          <Table.Tbody>
                            {s.daily.map((d) => (
                              <Table.Tr key={d.date}>
                                <Table.Td>{d.date}</Table.Td>
                                {providers.map((p) => {
                                  const g = d.groups.find((x) => x.provider === p && x.currency === currency);
                                  return <Table.Td key={p}>{g ? `${g.paid_amount} (${g.statuses.PAID}/${g.orders})` : '—'}</Table.Td>;
                                })}
                              </Table.Tr>
                            ))}
                          </Table.Tbody>
                        </Table>
                      </Table.ScrollContainer>
                    </>
                  )}
                </Stack>
              </Card>
            </Stack>
          );
        }}
      </QueryState>
    </Stack>
  );
}
