import { isEmail, ValidateBy, ValidationOptions } from 'class-validator';

/** An unpaired UTF-16 surrogate: JSON can carry one ("\ud800"), but it is no text, and the email check throws on it (URIError). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A well-formed string that is an email address: `@IsEmail()` without its 500 on a lone surrogate (a clear 400 instead). */
export const isEmailAddress = (value: unknown): boolean => typeof value === 'string' && !LONE_SURROGATE.test(value) && isEmail(value);

export function IsEmailAddress(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy({ name: 'isEmail', validator: { validate: (value) => isEmailAddress(value) } }, options);
}
