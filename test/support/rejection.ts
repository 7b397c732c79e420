/** The rejection of `p`, or undefined when it resolves: lets a test assert on what an operation threw. */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p
    return undefined
  } catch (error) {
    return error
  }
}
