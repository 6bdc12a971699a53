/** Adaptive Card pieces for the tests that send cards. */

/** An `Input.ChoiceSet`'s `choices`, from each choice's title to its value. */
export function choices(titleToValue: Record<string, string>): Array<{ title: string; value: string }> {
  return Object.entries(titleToValue).map(([title, value]) => ({ title, value }));
}
