/**
 * BRIDGE — replace at merge: the /auth endpoints (another slice) are not in this branch's
 * openapi.json yet, so their shapes are written here from DESIGN.md ("Dashboard, users and roles").
 * Once they are in the document, use the generated types (`Schema<'…'>`) and delete this file.
 */
export type Role = 'owner' | 'developer' | 'viewer' | 'operator';

export interface Me {
  user: { id: string; email: string; role: Role; merchant_id: string | null };
  csrf_token: string;
}

export interface LoginBody {
  email: string;
  password: string;
}
