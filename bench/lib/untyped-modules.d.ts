// Packages the bench uses that ship no type declarations (and whose @types are not dependencies here).
declare module 'autocannon'
declare module 'express'
declare module 'koa'
declare module 'jsonwebtoken'
