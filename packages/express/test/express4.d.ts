// `express4` is an npm alias of Express 4, installed to run the same tests on both majors. Express 4's
// API as used here is a subset of Express 5's, so it borrows Express 5's types.
declare module 'express4' {
  import express from 'express'
  export default express
}
