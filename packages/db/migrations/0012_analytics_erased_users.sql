CREATE TABLE "analytics"."erased_users" (
	"user_key" text PRIMARY KEY NOT NULL,
	"erased_at" timestamp with time zone DEFAULT now() NOT NULL
);
