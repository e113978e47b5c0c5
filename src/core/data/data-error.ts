/**
 * A problem with the user's data (an unreadable file, a data set too short for the model's clips):
 * its message is shown to the user as it is, so it names the file and the reason.
 */
export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}
