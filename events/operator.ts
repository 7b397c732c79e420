import { z } from 'zod'
import { Id, Text } from './common'

export const operatorEvents = {
  OperatorRegistered: z.strictObject({ operatorId: Id, name: Text(), legalId: Text(64).optional() }),
} as const

export type OperatorRegistered = z.infer<typeof operatorEvents.OperatorRegistered>
export type OperatorEvent = { type: 'OperatorRegistered'; data: OperatorRegistered }

export const OPERATOR_CATEGORY = 'operator'
export const toOperatorStreamId = (operatorId: string) => `${OPERATOR_CATEGORY}-${operatorId}`
