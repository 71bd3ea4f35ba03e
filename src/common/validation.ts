import { ValidateBy, ValidationOptions, isEmail } from 'class-validator';

/** A UTF-16 surrogate without its pair: not text, and validator's isEmail throws on it (decodeURIComponent). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * class-validator's @IsEmail, except that a string with a lone surrogate is simply "not an email":
 * the plain decorator throws there, which answered 500 (found by the reliability fuzz).
 */
export function IsEmailAddress(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isEmail',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && !LONE_SURROGATE.test(value) && isEmail(value),
        defaultMessage: () => '$property must be an email address',
      },
    },
    options,
  );
}
