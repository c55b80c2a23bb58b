/** The seed's four departments, each with the command that routes to it. */
export const DEPARTMENTS = [
  { id: 'support', title: 'General Support' },
  { id: 'tech', title: 'Technical Support' },
  { id: 'verify', title: 'Account Verification' },
  { id: 'sales', title: 'Sales & Commerce' }
] as const

export type DepartmentId = typeof DEPARTMENTS[number]['id']
export const DEPARTMENT_IDS: readonly DepartmentId[] = DEPARTMENTS.map(d => d.id)

export function isDepartment (s: string): s is DepartmentId {
  return (DEPARTMENT_IDS as readonly string[]).includes(s)
}

export function titleOf (id: DepartmentId): string {
  return DEPARTMENTS.find(d => d.id === id)?.title ?? id
}
