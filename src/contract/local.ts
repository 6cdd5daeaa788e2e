/**
 * What the local runner (`local/`) shows where AWS would show its own values, and that tests and tools read back
 * from it: the account of every local ARN and the kinds of object a local delivery stream writes.
 */

/** The account id of every local ARN (`accountid()` in a rule, `arn:aws:<service>:<region>:000000000000:...`). */
export const LOCAL_ACCOUNT = '000000000000';

/**
 * The objects a delivery stream writes: the destination's data (`Prefix`), the source record backup
 * (`S3BackupConfiguration`) and the error output (`ErrorOutputPrefix`).
 */
export const DELIVERY_OBJECT_KINDS = { destination: 'destination', backup: 'backup', error: 'error' } as const;

/** One of `DELIVERY_OBJECT_KINDS`. */
export type DeliveryObjectKind = (typeof DELIVERY_OBJECT_KINDS)[keyof typeof DELIVERY_OBJECT_KINDS];
