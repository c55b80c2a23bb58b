/** The desk's own errors, each with a stable code (toolkit and Telegram errors pass through as they are). */
export type DeskErrorCode =
  | 'INVALID_CONFIG'     // the configuration file is wrong: the message says where
  | 'STAFF_SESSION'      // a staff member's broker session is missing or not logged in
  | 'NO_CONVERSATION'    // no such conversation
  | 'CLOSED'             // the conversation is closed
  | 'NOT_ASSIGNED'       // the staff member is not the one assigned to it
  | 'SAME_DEPARTMENT'    // a transfer to the department it is already in

export class DeskError extends Error {
  constructor (readonly code: DeskErrorCode, message: string) {
    super(message)
    this.name = 'DeskError'
  }
}
