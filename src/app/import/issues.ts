/** One line out of zod issues, for a row's message: where (a data path) and what, at most three. */
export function describeIssues(issues: ReadonlyArray<{ path?: ReadonlyArray<PropertyKey>; message?: string }>): string {
  const shown = issues.slice(0, 3).map((issue) => {
    const path = (issue.path ?? []).map(String).join('.')
    return `${path === '' ? '' : `${path}: `}${issue.message ?? 'invalid'}`
  })
  return shown.join('; ') + (issues.length > 3 ? `; and ${issues.length - 3} more` : '')
}
