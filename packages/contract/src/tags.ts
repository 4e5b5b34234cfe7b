/**
 * The groups of the REST surface, each with what a reader of the reference needs to know.
 * Every operation's `rest.tags` names some of these; the document lists them all, in this order.
 */
export const API_TAGS = {
  Auth: 'Registration, sign-in and sign-out, the signed-in user, and API keys for scripts and CI.',
  Projects: 'Projects group the applications, databases and other resources of one product. Every workload belongs to a project.',
  Members: 'The users of a project and their roles (owner, admin, member, viewer); ownership transfer.',
  Invites: 'Invitations to join a project, by e-mail, and their acceptance.',
  Environments: "Separate instances of a project's workloads (production, staging, …) and their variables.",
  Webhooks: "Signed HTTP callbacks (Standard Webhooks) for a project's events, and their delivery logs.",
} as const;

export type ApiTag = keyof typeof API_TAGS;
