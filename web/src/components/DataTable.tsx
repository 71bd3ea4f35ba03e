import { Table, type TableTdProps } from '@mantine/core';
import type { ReactNode } from 'react';
import { Pager, type usePager } from './Pager';
import { QueryState, type QueryLike } from './QueryState';

/** One column: its header (plain text, a VisuallyHidden label, or nothing for an actions column) and how a row fills its cell. */
export interface Column<T> {
  header?: ReactNode;
  cell: (row: T) => ReactNode;
  /** Props of the row's cell (e.g. a colour that depends on the row). */
  td?: (row: T) => TableTdProps;
}

/**
 * A list page's table: loading, error and empty states (QueryState), Mantine's Table in a scroll
 * container with a header row and one row per item, and cursor paging when `pager` is given.
 */
export function DataTable<T extends { id: string }>({
  query,
  columns,
  label,
  minWidth,
  pager,
  striped = true,
  highlightOnHover,
}: {
  query: QueryLike<{ data: T[]; has_more?: boolean }>;
  columns: Column<T>[];
  /** The table's accessible name. */
  label: string;
  minWidth: number;
  pager?: ReturnType<typeof usePager>;
  striped?: boolean;
  highlightOnHover?: boolean;
}) {
  return (
    <QueryState query={query} isEmpty={(d) => d.data.length === 0}>
      {(page) => (
        <>
          <Table.ScrollContainer minWidth={minWidth}>
            <Table striped={striped} highlightOnHover={highlightOnHover} aria-label={label}>
              <Table.Thead>
                <Table.Tr>
                  {columns.map((c, i) => (
                    <Table.Th key={i}>{c.header}</Table.Th>
                  ))}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {page.data.map((row) => (
                  <Table.Tr key={row.id}>
                    {columns.map((c, i) => (
                      <Table.Td key={i} {...c.td?.(row)}>
                        {c.cell(row)}
                      </Table.Td>
                    ))}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          {pager && <Pager {...pager} page={{ data: page.data, has_more: page.has_more ?? false }} />}
        </>
      )}
    </QueryState>
  );
}
